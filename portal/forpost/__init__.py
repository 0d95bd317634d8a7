"""The Forpost Mobile API 1.3.2 (docs/forpost.md): the domain side of every call the apps make."""
