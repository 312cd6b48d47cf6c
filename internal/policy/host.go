package policy

import (
	"strconv"
	"strings"
)

// CanonicalRepo is a repository name as the registry it addresses sees it, so that no
// spelling of a host escapes a rule written for it. docker's reference parser keeps the
// host as written (Registry.Example.com, registry.example.com:443 and
// registry-1.docker.io are each a repository of their own, and each its own GUN), yet
// they reach the same registry: host names are case-insensitive, https is port 443,
// and registry-1.docker.io and index.docker.io are Docker Hub, which docker names
// docker.io (distribution/reference: legacyDefaultDomain, defaultDomain). Docker Hub's
// one-segment names live under library/.
func CanonicalRepo(repo string) string {
	host, path, ok := strings.Cut(repo, "/")
	if !ok {
		return repo
	}
	canon := canonicalHost(host)
	if canon == "docker.io" && !strings.Contains(path, "/") {
		path = "library/" + path
	} else if canon == host {
		return repo
	}
	return canon + "/" + path
}

// canonicalHost lower-cases a registry host, writes its port as a plain number, drops
// https's port 443, and names Docker Hub docker.io.
func canonicalHost(host string) string {
	host = strings.ToLower(host)
	if i := strings.LastIndexByte(host, ':'); i > strings.LastIndexByte(host, ']') {
		// Go's dialer reads the port as a decimal number: 0443 is 443.
		if port, err := strconv.ParseUint(host[i+1:], 10, 16); err == nil {
			host = host[:i]
			if port != 443 {
				host += ":" + strconv.FormatUint(port, 10)
			}
		}
	}
	switch host {
	case "index.docker.io", "registry-1.docker.io":
		return "docker.io"
	}
	if !strings.ContainsAny(host, ".:") && host != "localhost" {
		// "A/app" names the registry A only because of its capital letter (docker's
		// splitDockerDomain); "a/app" would be Docker Hub's a/app, so the port stays.
		host += ":443"
	}
	return host
}
