"""The Gradio chat UI (build_ui in ui.app) and its HTML rendering (ui.render)."""
