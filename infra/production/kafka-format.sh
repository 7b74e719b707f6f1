#!/usr/bin/env bash
# Formats one KRaft node's storage with the SCRAM users the cluster needs before any ACL exists:
# `broker` (inter-broker listener) and `admin` (operators). KRaft keeps SCRAM credentials in the
# metadata log, so they must be in the bootstrap metadata (kafka-storage.sh format --add-scram,
# KIP-900); a formatted directory is left as it is (--ignore-formatted).
#
# Run by the kafka-N-format services of kafka-kraft.compose.yml with NODE_ID and CLUSTER_ID set and
# the node's secret volume at /etc/kafka/secrets (broker_password, admin_password).
set -euo pipefail

: "${NODE_ID:?}" "${CLUSTER_ID:?}"
secrets=/etc/kafka/secrets
broker_password=$(<"$secrets/broker_password")
admin_password=$(<"$secrets/admin_password")

# Only what the format step validates: roles, quorum, listeners and the log directory. The
# running node's full settings are the environment in kafka-kraft.compose.yml.
properties=$(mktemp)
trap 'rm -f "$properties"' EXIT
cat >"$properties" <<PROPS
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093
controller.listener.names=CONTROLLER
listeners=CLIENT://:9092,CONTROLLER://:9093,BROKER://:9094
advertised.listeners=CLIENT://kafka-$NODE_ID:9092,BROKER://kafka-$NODE_ID:9094
listener.security.protocol.map=CLIENT:SASL_SSL,BROKER:SASL_SSL,CONTROLLER:SSL
inter.broker.listener.name=BROKER
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
log.dirs=/var/lib/kafka/data
PROPS

/opt/kafka/bin/kafka-storage.sh format \
  --config "$properties" \
  --cluster-id "$CLUSTER_ID" \
  --ignore-formatted \
  --add-scram "SCRAM-SHA-512=[name=broker,password=$broker_password]" \
  --add-scram "SCRAM-SHA-512=[name=admin,password=$admin_password]"
