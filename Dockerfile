FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY app.py ./
COPY routes ./routes
COPY endpoints ./endpoints
COPY components ./components
COPY config ./config
COPY payments ./payments
COPY observability ./observability
RUN pip install --no-cache-dir .
ENV HTTP_HOST=0.0.0.0 PYTHONDONTWRITEBYTECODE=1
# Its own data (the embedded store, pain.001 files kept until split) is the user's.
RUN mkdir -p /app/data/payment-files && chown -R 10001:10001 /app/data
# Not root; numeric, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["python", "app.py"]
CMD ["all"]
