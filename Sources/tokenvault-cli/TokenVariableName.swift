/// Which environment variable `exec --env` may put the token in: a name that looks like a token
/// variable and nothing else. A deny list cannot be complete (PYTHONWARNINGS, NODE_OPTIONS,
/// JAVA_TOOL_OPTIONS, PERL5OPT, PYTHONSTARTUP, GLIBC_TUNABLES, GCONV_PATH, PROMPT_COMMAND, PS1,
/// HOSTALIASES and LD_PRELOAD all make a program print, run or load what they hold, and every
/// runtime adds more), so the rule is an allow pattern: upper-case letters, digits and `_`,
/// starting with a letter and ending in `TOKEN`, and never `TOKENVAULT_*` or `LD_*`.
enum TokenVariableName {
    static let rule = "an upper-case name ending in TOKEN ([A-Z][A-Z0-9_]*TOKEN, e.g. MCP_ACCESS_TOKEN or GITHUB_TOKEN), not TOKENVAULT_* or LD_*"

    static func isAllowed(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) else { return false }
        let plain = bytes.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
        return plain && name.hasSuffix("TOKEN") && !name.hasPrefix("TOKENVAULT") && !name.hasPrefix("LD_")
    }
}
