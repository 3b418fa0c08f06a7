FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md scrapy.cfg ./
COPY crawler ./crawler
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin crawler \
    && mkdir -p /spool /app/data && chown crawler:crawler /spool /app/data
# Never root: a crawler parses whatever the network sends it. A named volume mounted on /spool
# takes this folder's owner when Docker first creates it.
USER crawler
ENTRYPOINT ["crawler"]
CMD ["schedule"]
