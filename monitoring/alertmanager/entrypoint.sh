#!/bin/sh
# Alertmanager reads no environment: this puts ALERT_WEBHOOK_URL into its config, then runs
# the command it is given (docker-compose.yml's alertmanager service; the tests render the
# config with it too). CONFIG_TEMPLATE and CONFIG_FILE say where from and where to.
set -eu
: "${ALERT_WEBHOOK_URL:?ALERT_WEBHOOK_URL: expected the URL Alertmanager posts alerts to}"
# sed's replacement takes & and \ specially, and | ends the expression: escape them.
escaped=$(printf '%s\n' "$ALERT_WEBHOOK_URL" | sed 's/[\\&|]/\\&/g')
sed "s|\${ALERT_WEBHOOK_URL}|$escaped|g" "${CONFIG_TEMPLATE:-/etc/alertmanager/alertmanager.yml}" > "${CONFIG_FILE:-/tmp/alertmanager.yml}"
exec "$@"
