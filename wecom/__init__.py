"""WeCom (企业微信) channels: callback crypto, message formats, bot and app handlers, group push.

``rag`` never imports this package; ``api/routes/wecom.py`` only wires these modules to HTTP.
"""
