"""The HTTP routes, one module per area; `api.app.create_app` assembles them."""
