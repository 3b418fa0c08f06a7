"""Every page kept as fetched: WARC files (warcio), their index in the store, and what reads them."""
