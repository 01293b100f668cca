// Package config loads and validates Parley's operator configuration, a TOML
// file (parley.toml by default, or $PARLEY_CONFIG).
//
// Loading is strict and reports every problem in one run: syntax errors,
// unknown keys (with a "did you mean" suggestion), values of the wrong type,
// unset environment variables and invalid values all come back together as
// [Errors], each with the file, line and dotted key path.
//
// String values may reference the environment as ${NAME} or
// ${NAME:-default}; write $${ for a literal "${". References are expanded
// after the TOML is parsed, in string values only, so a variable's value is
// always data: a quote or newline in a secret can never add or change keys.
//
// The package knows nothing about plugins beyond handing each channel its
// own [Channel.Config] table; the plugin validates that table itself.
package config
