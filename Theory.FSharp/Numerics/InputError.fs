namespace LowRankVerify.Theory

/// A rejected user input: which field, which rule it breaks. Rendered as one line for the CLI.
type InputError =
    {
        /// JSON path or option name of the offending value, e.g. `target[1][0]` or `--eta`.
        Field: string
        /// The rule the value breaks, in plain words.
        Rule: string
    }

    /// One-line message "field: rule".
    override this.ToString() = sprintf "%s: %s" this.Field this.Rule

/// Constructors for `InputError`.
[<RequireQualifiedAccess>]
module InputError =

    /// An error for `field` breaking `rule`.
    let create field rule = { Field = field; Rule = rule }
