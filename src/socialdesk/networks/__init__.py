"""Per-network publishing rules: text limits as data (rules) and the checkers that apply them (text).

Import `socialdesk.networks.text` for `check` and `check_all`; this package stays light so the CLI starts fast.
"""
