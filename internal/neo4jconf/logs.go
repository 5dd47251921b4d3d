package neo4jconf

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
func ServerLogsXML(v Version) string {
	debug := `<Neo4jDebugLogLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p [%c{1.}] %m%n"/>`
	if v.CalVer() {
		debug = `<JsonTemplateLayout eventTemplateUri="classpath:org/neo4j/logging/StructuredLayoutWithMessage.json"/>`
	}
	return serverLogsHead + rolling("DebugLog", "debug.log", debug, 7) + serverLogsTail
}

const serverLogsHead = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Rendered by the neo4j-operator. -->
<Configuration status="ERROR" monitorInterval="30" packages="org.neo4j.logging.log4j">
  <Appenders>
`

var serverLogsTail = rolling("QueryLog", "query.log", textLayout, 7) +
	rolling("HttpLog", "http.log", textLayout, 5) +
	rolling("SecurityLog", "security.log", textLayout, 7) + `  </Appenders>
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
var UserLogsXML = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Rendered by the neo4j-operator. -->
<Configuration status="ERROR" monitorInterval="30" packages="org.neo4j.logging.log4j">
  <Appenders>
` + rolling("Neo4jLog", "neo4j.log", textLayout, 7) + `    <Console name="Console" target="SYSTEM_OUT">
      ` + textLayout + `
    </Console>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="Neo4jLog"/><AppenderRef ref="Console"/></Root>
  </Loggers>
</Configuration>
`

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
