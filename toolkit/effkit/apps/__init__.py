"""Sample apps rendered from effkit's template trees (``coral/``, ``android_template/``).

One module per app: it checks the answers, builds the template context and calls
``effkit.render.render_tree``.
"""
