package cluster

import "github.com/graphops-dev/neo4j-operator/internal/testing/fake/bolt"

// The test knobs: faults a test switches on and off (a server cut off, a
// deallocation that never ends, a refused DROP, a cluster that does not
// answer, a data volume deleted), kept apart from the state the manual
// describes.

// SetReachable cuts a server off the cluster (Unavailable) or restores it.
func (c *Cluster) SetReachable(name string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.servers[name]; s != nil {
		s.cut = !ok
	}
}

// SetDeallocationBlocked holds every deallocation: Deallocating servers
// stay so, and the copies that would replace theirs never catch up.
func (c *Cluster) SetDeallocationBlocked(blocked bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deallocBlocked = blocked
	c.settle()
}

// SetDropRefused makes DROP SERVER fail with that code and message; an
// empty code accepts it again.
func (c *Cluster) SetDropRefused(code, message string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropRefused = nil
	if code != "" {
		c.dropRefused = &bolt.Failure{Code: code, Message: message}
	}
}

// SetAnswering makes every server answer (true) or fail every query as
// unavailable (false): Neo4j out of reach while the pods stay Ready.
func (c *Cluster) SetAnswering(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.silent = !ok
}

// ForgetVolume deletes a gone server's data volume, as a StatefulSet's
// whenScaled: Delete retention policy does: a pod of the same name that
// comes back is a new server, with a new ID (Operations Manual,
// servers.adoc: a dropped server cannot rejoin; a fresh installation can).
// The old server is kept under another key, out of every view.
func (c *Cluster) ForgetVolume(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.servers[name]
	if s == nil || !s.gone {
		return
	}
	tomb := name + "#" + s.id
	delete(c.servers, name)
	c.servers[tomb] = s
	s.address = ""
	for i, n := range c.order {
		if n == name {
			c.order[i] = tomb
		}
	}
	for _, db := range c.databases {
		if role, ok := db.hosts[name]; ok {
			delete(db.hosts, name)
			db.hosts[tomb] = role
		}
	}
	c.settle()
}

// Lockouts counts the logins the cluster refused for too many failed
// attempts before them (security.go).
func (c *Cluster) Lockouts() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lockouts
}

// Password is a user's password now ("" for no such user): a test checks
// a rotation reached Neo4j.
func (c *Cluster) Password(user string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u := c.users[user]; u != nil {
		return u.password
	}
	return ""
}

// ResetSecurity gives the cluster a new system database's users and
// roles: the built-in ones only, the admin with the cluster's first
// password. It stands for a restore that brought the databases back but
// not the system database (Operations Manual, backup-restore: users and
// roles live in system; a user database's backup carries them only as a
// script nobody runs).
func (c *Cluster) ResetSecurity() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initSecurity()
}
