"""Client reports: definitions, building the figures and summary, HTML/PDF rendering, delivery and share links."""
