"""The shipped message catalogs (<lang>/LC_MESSAGES/newsletter.po and .mo) and the tools that keep them."""
