#!/usr/bin/env bash
# Creates the services' SCRAM users and their ACLs on the production cluster. Idempotent: a user's
# password is set again, an ACL that exists is kept. Run as the `admin` super user from a host on
# the optiview-kafka network, with Kafka's command-line tools on PATH:
#
#   OPTIVIEW_KAFKA_SECRETS=/run/secrets/kafka infra/production/kafka-acls.sh
#
# $OPTIVIEW_KAFKA_SECRETS (from the secret store) holds admin.properties (the admin's client
# settings: security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512, sasl.jaas.config with the
# admin's password, ssl.truststore.location/type/password of the Optiview Kafka CA) and one
# password file per service user: edge, loader, health, api. The same passwords go to the
# services as OPTIVIEW_KAFKA_SASL_PASSWORD (services.env).
#
# Grants, one principal per service, nothing else (allow.everyone.if.no.acl.found=false):
#   everyone  reads optiview.control.v1 (the control follower; its group id is random per process,
#             prefix control-follower-, assigned and never committed)
#   api       the only writer of optiview.control.v1: memberships and platform admins are records
#             there, so writing it is administering every tenant
#   edge      writes optiview.beacons.v1 and optiview.edge-stats.v1
#   loader    reads optiview.beacons.v1 in group optiview-loader; writes optiview.sessions.v1 and
#             optiview.deadletter.v1; reads optiview.sessions.v1 back to restore the sessionizer
#             (group id optiview-read-to-end, assigned, never committed); replay uses the same user
#   health    reads optiview.edge-stats.v1 in group optiview-health; writes dead letters for
#             records it cannot decode; describes the loader's and its own group and their topics
#             for the lag probe (committed offsets and watermarks only)
# Topics are created by the admin (query-api topics), never by a service.
set -euo pipefail

secrets=${OPTIVIEW_KAFKA_SECRETS:?directory with admin.properties and the service passwords}
bootstrap=${OPTIVIEW_KAFKA_BROKERS:-kafka-1:9092,kafka-2:9092,kafka-3:9092}
admin=(--bootstrap-server "$bootstrap" --command-config "$secrets/admin.properties")

CONTROL=optiview.control.v1
BEACONS=optiview.beacons.v1
SESSIONS=optiview.sessions.v1
DEADLETTER=optiview.deadletter.v1
EDGE_STATS=optiview.edge-stats.v1

scram_user() {
  local user=$1 password
  password=$(<"$secrets/$user")
  # kafka-configs.sh parses the value as a list: a comma or bracket would cut the password.
  case $password in *[],[]*) echo "$user: the password must not contain , [ or ]" >&2; exit 1 ;; esac
  kafka-configs.sh "${admin[@]}" --alter --entity-type users --entity-name "$user" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]" >/dev/null
  echo "SCRAM user $user"
}

# allow USER OPERATION... -- RESOURCE-FLAGS...
allow() {
  local user=$1 names=() ops=()
  shift
  while [ "$1" != -- ]; do names+=("$1"); ops+=(--operation "$1"); shift; done
  shift
  kafka-acls.sh "${admin[@]}" --add --allow-principal "User:$user" "${ops[@]}" "$@" >/dev/null
  echo "User:$user ${names[*]} $*"
}

for user in edge loader health api; do
  scram_user "$user"
  allow "$user" Read Describe -- --topic "$CONTROL"
  allow "$user" Read Describe -- --group control-follower- --resource-pattern-type prefixed
done

allow api Write Describe -- --topic "$CONTROL"

allow edge Write Describe -- --topic "$BEACONS"
allow edge Write Describe -- --topic "$EDGE_STATS"

allow loader Read Describe -- --topic "$BEACONS"
allow loader Read Write Describe -- --topic "$SESSIONS"
allow loader Write Describe -- --topic "$DEADLETTER"
allow loader Read Describe -- --group optiview-loader
allow loader Read Describe -- --group optiview-read-to-end

allow health Read Describe -- --topic "$EDGE_STATS"
allow health Write Describe -- --topic "$DEADLETTER"
allow health Read Describe -- --group optiview-health
allow health Describe -- --topic "$BEACONS"
allow health Describe -- --group optiview-loader

kafka-acls.sh "${admin[@]}" --list
