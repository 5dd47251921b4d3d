package neo4jconf

import "github.com/graphops-dev/neo4j-operator/api/v1alpha1"

// The log configuration files. The image deletes its own conf folder when
// /conf is mounted, so the operator renders both files Neo4j looks for
// there (server.logs.config and server.logs.user.config default to
// server-logs.xml and user-logs.xml in the conf folder). They are log4j 2
// files; what they rely on is in the Operations Manual's logging page
// (monitoring/logging.adoc): the "org.neo4j.logging.log4j" package gives
// ${config:<setting>} lookups, and the query, HTTP and security logs must
// be the loggers named QueryLogger, HttpLogger and SecurityLogger. The
// image copies /conf once, at start, so they are part of the restart hash.

// ServerLogsXML configures debug.log (everything), query.log, http.log and
// security.log, each rolled at 20 MB. debug.log is JSON from 2025.01 on,
// the format the manual says CalVer releases default to and support
// expects, and text on 5.26, as each version ships it.
func ServerLogsXML(v Version) string { return serverLogs(v, false) }

// The JSON layouts of the manual's logging page: the generic one, "can be
// used for any log file", and the query log's own.
const (
	jsonLayout      = `<JsonTemplateLayout eventTemplateUri="classpath:org/neo4j/logging/StructuredLayoutWithMessage.json"/>`
	queryJSONLayout = `<JsonTemplateLayout eventTemplateUri="classpath:org/neo4j/logging/QueryLogJsonLayout.json"/>`
)

func serverLogs(v Version, json bool) string {
	debug, query, other := `<Neo4jDebugLogLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p [%c{1.}] %m%n"/>`, textLayout, textLayout
	if v.CalVer() || json {
		debug = jsonLayout
	}
	if json {
		query, other = queryJSONLayout, jsonLayout
	}
	return serverLogsHead + rolling("DebugLog", "debug.log", debug, 7) +
		rolling("QueryLog", "query.log", query, 7) +
		rolling("HttpLog", "http.log", other, 5) +
		rolling("SecurityLog", "security.log", other, 7) + serverLogsTail
}

// LogFiles are the log configuration files of a cluster: the user's, or
// the operator's (in JSON when asked). One taken from the user's
// ConfigMap is "": the operator neither renders nor mounts it from its own
// ConfigMap.
func LogFiles(c *v1alpha1.Neo4jEnterpriseCluster, v Version) (server, user string) {
	l := c.Spec.Logging
	server, user = serverLogs(v, l.JSON), userLogs(l.JSON)
	switch {
	case l.ServerLogsXML != "":
		server = l.ServerLogsXML
	case l.ServerLogsConfigMap != nil:
		server = ""
	}
	switch {
	case l.UserLogsXML != "":
		user = l.UserLogsXML
	case l.UserLogsConfigMap != nil:
		user = ""
	}
	return server, user
}

const serverLogsHead = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Rendered by the neo4j-operator. -->
<Configuration status="ERROR" monitorInterval="30" packages="org.neo4j.logging.log4j">
  <Appenders>
`

const serverLogsTail = `  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="DebugLog"/></Root>
    <Logger name="QueryLogger" level="INFO" additivity="false"><AppenderRef ref="QueryLog"/></Logger>
    <Logger name="HttpLogger" level="INFO" additivity="false"><AppenderRef ref="HttpLog"/></Logger>
    <Logger name="SecurityLogger" level="INFO" additivity="false"><AppenderRef ref="SecurityLog"/></Logger>
  </Loggers>
</Configuration>
`

// UserLogsXML configures neo4j.log, written to a file and to the console,
// so `kubectl logs` shows it.
var UserLogsXML = userLogs(false)

func userLogs(json bool) string {
	layout := textLayout
	if json {
		layout = jsonLayout
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Rendered by the neo4j-operator. -->
<Configuration status="ERROR" monitorInterval="30" packages="org.neo4j.logging.log4j">
  <Appenders>
` + rolling("Neo4jLog", "neo4j.log", layout, 7) + `    <Console name="Console" target="SYSTEM_OUT">
      ` + textLayout + `
    </Console>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="Neo4jLog"/><AppenderRef ref="Console"/></Root>
  </Loggers>
</Configuration>
`
}

const textLayout = `<PatternLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p %m%n"/>`

func rolling(name, file, layout string, keep int) string {
	return `    <RollingRandomAccessFile name="` + name + `" fileName="${config:server.directories.logs}/` + file + `"
        filePattern="$${config:server.directories.logs}/` + file + `.%02i">
      ` + layout + `
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy fileIndex="min" max="` + string(rune('0'+keep)) + `"/>
    </RollingRandomAccessFile>
`
}
