"""policy-qa pipeline: text → measures → chunks → index → retrieval → answer."""

__version__ = "0.1.0"
