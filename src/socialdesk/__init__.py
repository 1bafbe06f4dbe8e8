"""socialdesk: a self-hosted command center for social media directors and their agency teams."""

__version__ = "0.1.0"
