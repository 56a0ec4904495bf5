#!/usr/bin/env bash
# test-certs.sh DIR — throwaway TLS material for a test broker, written into DIR (mode 700):
#   ca.pem       self-signed CA certificate (what clients trust: CA_PATH)
#   ca.key       its key (only needed to sign more certificates)
#   broker.pem   PKCS#8 key + certificate chain for 127.0.0.1 / localhost, signed by the CA,
#                usable as `ssl.keystore.type=PEM` + `ssl.keystore.location` (no key password)
# Never commit the output; tests generate it into a temp dir and delete it afterwards.
set -euo pipefail
dir="${1:?usage: test-certs.sh DIR}"
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
days=2
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
  -subj "/CN=StreamForge throwaway test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" -keyout broker.key -out broker.csr 2>/dev/null
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
  "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >broker.ext
openssl x509 -req -sha256 -days "$days" -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -extfile broker.ext -out broker.crt 2>/dev/null
# Kafka's PEM keystore wants an unencrypted PKCS#8 key followed by the chain.
openssl pkcs8 -topk8 -nocrypt -in broker.key -out broker.pk8
cat broker.pk8 broker.crt ca.pem >broker.pem
rm -f broker.key broker.pk8 broker.csr broker.ext broker.crt ca.srl
chmod 600 ./*
