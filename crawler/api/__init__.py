"""The HTTP front, `crawler api`: twisted.web resources that fetch one URL through the same spiders
and pipelines as `crawler fetch`, guarded so the service is no door into its own network."""
