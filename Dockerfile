FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY app.py ./
COPY routes ./routes
COPY endpoints ./endpoints
COPY components ./components
COPY config ./config
COPY payments ./payments
RUN pip install --no-cache-dir .
ENV HTTP_HOST=0.0.0.0
EXPOSE 8080
ENTRYPOINT ["python", "app.py"]
CMD ["all"]
