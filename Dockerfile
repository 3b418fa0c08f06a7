FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md scrapy.cfg ./
COPY crawler ./crawler
RUN pip install --no-cache-dir .
ENTRYPOINT ["crawler"]
CMD ["schedule"]
