FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY . .
RUN python manage.py translations compile \
 && DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input
USER nobody
EXPOSE 8000
