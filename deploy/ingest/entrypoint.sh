#!/bin/sh
# Renders nginx-rtmp.conf as deploy/ingest/config.ts does, then runs nginx in the foreground.
# The callback secret: STREAMS_INGEST_SECRET, or the one the app generated into the shared keys
# volume (streams-secrets.json), waited for while the app's first start writes it.
set -eu
CALLBACK_URL=${CALLBACK_URL:-http://app:3000}
KEYS_DIR=${KEYS_DIR:-/keys}
PREFIX=/var/lib/ondes-ingest
MEDIA=${MEDIA_DIR:-/media}
secret=${STREAMS_INGEST_SECRET:-}
while [ -z "$secret" ]; do
  if [ -f "$KEYS_DIR/streams-secrets.json" ]; then
    secret=$(sed -n 's/.*"ingestSecret":"\([A-Za-z0-9_-]*\)".*/\1/p' "$KEYS_DIR/streams-secrets.json")
  fi
  [ -n "$secret" ] || { echo "waiting for $KEYS_DIR/streams-secrets.json (the app writes it at its first start)"; sleep 2; }
done
mkdir -p "$PREFIX" "$MEDIA/hls" "$MEDIA/recordings"
# nginx's workers run as nobody: they write HLS and recordings; the app (root) reads and removes them.
chown nobody "$MEDIA/hls" "$MEDIA/recordings"
sed -e "s#{{PREFIX}}#$PREFIX#g" -e "s#{{RTMP_LISTEN}}#1935#g" -e "s#{{RTMP_PORT}}#1935#g" -e "s#{{HTTP_LISTEN}}#8088#g" \
    -e "s#{{CALLBACK_URL}}#$CALLBACK_URL#g" -e "s#{{SECRET}}#$secret#g" -e "s#{{UPDATE_INTERVAL}}#20s#g" \
    -e "s#{{HLS_PATH}}#$MEDIA/hls#g" -e "s#{{RECORD_PATH}}#$MEDIA/recordings#g" -e "s#{{CONTROL_ALLOW}}#all#g" \
    /etc/ondes/nginx-rtmp.conf.template > "$PREFIX/nginx.conf"
if grep -q '{{' "$PREFIX/nginx.conf"; then echo "nginx-rtmp.conf: a field was left unrendered" >&2; exit 1; fi
exec nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" -g 'daemon off;'
