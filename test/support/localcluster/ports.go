package localcluster

import "net"

// freePorts asks the kernel for n distinct free TCP ports on 127.0.0.1. The
// listeners are held until all ports are chosen so the same port is not
// handed out twice, then closed for the components to bind. Another process
// could take a port in between; the component then fails to start and Start
// reports it with the component's log.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
