#!/usr/bin/env bash
# Writes prometheusrule.yaml (Prometheus Operator) from rules.yml: the same groups under spec.
# Run after editing rules.yml; FacadeMonitoringTest fails while the two differ.
set -euo pipefail
cd "$(dirname "$0")"
{
  cat <<'HEADER'
# Generated from rules.yml by generate-prometheusrule.sh: edit rules.yml, then run the script.
# The Prometheus Operator loads PrometheusRules its Prometheus's ruleSelector matches: add the
# label yours selects on (often `release: <helm release>`) under metadata.labels.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: gitstratum-coordinator
  namespace: gitstratum
  labels:
    app.kubernetes.io/name: gitstratum-coordinator
    app.kubernetes.io/part-of: gitstratum
spec:
HEADER
  sed -n '/^groups:/,$p' rules.yml | sed 's/^/  /'
} > prometheusrule.yaml
