FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# Pango/HarfBuzz for WeasyPrint's PDF export (the fonts ship in static/fonts)
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN pip install --no-cache-dir -c requirements.lock -e . \
 && SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0
EXPOSE 8000
CMD ["gunicorn", "mos.wsgi", "-b", "0.0.0.0:8000", "-w", "3"]
