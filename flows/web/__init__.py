"""The HTTP door: the JSON API, Master Admin sign-in, CSRF, the pages and the background job runner."""
