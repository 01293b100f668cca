// Package pythondesk holds the tests of the Python example plugin in this
// directory (desk.py, goplugin.py and the wrapper parley-channel-pydesk):
// the SDK's conformance suite run against the Python process, as the host
// starts it, and a check that the committed generated code in gen/ is what
// generate.sh makes. See README.md and docs/plugins-in-other-languages.md.
package pythondesk
