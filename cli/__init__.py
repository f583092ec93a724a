"""The composition root: the `galaxy` command builds the services once (`assistant.container`) and starts the API,
the bot or a one-shot command; `render` turns results into terminal text. The core never imports this package."""
