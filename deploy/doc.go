// Package deploy holds no Go code: its tests check the deployment files
// beside it (Prometheus alert rules, Grafana dashboards) with the tools
// that read them.
package deploy
