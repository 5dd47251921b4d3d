// Package neo4jimage is a FAKE of the official Neo4j Enterprise image's
// startup: it computes the neo4j.conf (and apoc.conf) a real server would
// read from a pod the operator renders, without running Neo4j. It is test
// code: the operator never imports it.
//
// Every behaviour encoded here was read in docker-entrypoint.sh of the
// public neo4j/docker-neo4j repository, directories
// docker-image-src/5/coredb (5.x images) and docker-image-src/calver/coredb
// (2025.x and later), at commit 9df98ef9d8d19eaea2fd711f4ae0f9c8d70e9a82
// (2026-04-14), and in the Dockerfiles beside it. The facts, in the order
// the script applies them:
//
//  1. Kubelet first: container env values have $(VAR) references to
//     earlier variables expanded ($$ is a literal $, an unknown reference
//     stays as written); fieldRefs and secretKeyRefs are resolved. The
//     image's ENV (NEO4J_HOME=/var/lib/neo4j, NEO4J_EDITION) is beneath.
//  2. NEO4J_*_FILE variables are read from their file and exported as the
//     variable without the suffix.
//  3. The license: NEO4J_ACCEPT_LICENSE_AGREEMENT must be "yes" or "eval"
//     on an enterprise image, or the script exits 1.
//  4. If /conf exists: `rm -rf $NEO4J_HOME/conf/*`, then
//     `find /conf -type f -exec cp {} $NEO4J_HOME/conf` — every regular
//     file under /conf, flattened into one folder. The image's own
//     neo4j.conf (its default server.jvm.additional lines) and its log
//     configuration files are gone.
//  5. Folders: if /plugins, /import, /metrics, /logs or /licenses exist,
//     the matching NEO4J_server_directories_* shell variable defaults to
//     it (`: ${VAR:=/path}`), so it becomes a setting in step 8 and beats
//     the file. The image always has /data and /logs (the Dockerfile moves
//     them there and declares them VOLUMEs), so server.directories.logs is
//     /logs unless the environment says otherwise.
//  6. NEO4J_PLUGINS (a JSON list) installs plugins and appends each
//     plugin's properties from neo4j-plugins.json unless the copied
//     neo4j.conf already sets them.
//  7. Docker defaults are appended only when `^key=` is absent:
//     server.memory.pagecache.size=512M, server.default_listen_address=
//     0.0.0.0 and, enterprise only, server.cluster.advertised_address=
//     $(hostname):6000, server.cluster.raft.advertised_address=
//     $(hostname):7000, server.routing.advertised_address=$(hostname):7688,
//     and on 5.x only server.discovery.advertised_address=$(hostname):5000.
//     Legacy names (NEO4J_dbms_memory_pagecache_size, ...) are copied to
//     their new names first.
//  8. Every NEO4J_* variable (shell variables included, in `sort -rn`
//     order) except the control variables becomes a setting: strip
//     NEO4J_, "_" becomes ".", then ".." becomes "_". Empty values and
//     names starting with a digit are skipped. apoc.* settings go to
//     apoc.conf, the rest to neo4j.conf. An existing line is deleted
//     (`sed /^key=.*/d`) and the new one appended, except
//     server.jvm.additional, which is only appended. Appending is `>>`:
//     a copied file whose last line has no newline gets the next line
//     written joined to it, unless that line starts with the "\n" of
//     steps 6 and 7.
//  9. The initial password comes from the file NEO4J_AUTH_PATH names, or
//     else from NEO4J_AUTH: "none" disables auth; otherwise it must be
//     neo4j/<password> with a password other than "neo4j".
//
// The kubelet part resolves ConfigMap, Secret and projected volumes (the
// Secret and ConfigMap sources, their items as files and folders; a
// missing Secret or key fails, as the kubelet's mount would); other
// volumes are empty folders.
//
// What it does not model: file permissions and ownership (the operator
// runs the pod as UID/GID 7474 with fsGroup 7474, so mounted folders are
// writable), plugin downloads (it records that one would be attempted),
// and anything Neo4j itself does after reading its configuration. See
// the README's "What is tested against what".
package neo4jimage
