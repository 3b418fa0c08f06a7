"""A Scrapy crawler for Chinese news sites that stores clean, de-duplicated articles in MongoDB."""
