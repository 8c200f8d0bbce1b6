namespace LowRankVerify.Theory

/// The f_α families of THEORY.md §1: concave, increasing, f_α(0) = 0, f_α(x) = 1 for x ≥ α.
[<RequireQualifiedAccess>]
type FAlphaFamily =
    /// `min(x/α, 1)`: Lipschitz constant 1/α.
    | Piecewise
    /// `2t − t²` with `t = min(x/α, 1)`: C¹, Lipschitz constant 2/α.
    | Quadratic

/// Evaluation and parsing of f_α.
[<RequireQualifiedAccess>]
module FAlpha =

    /// f_α(x) for the family (x ≤ 0 gives 0).
    let eval (family: FAlphaFamily) (alpha: float) (x: float) =
        let t = if x <= 0.0 then 0.0 else min (x / alpha) 1.0

        match family with
        | FAlphaFamily.Piecewise -> t
        | FAlphaFamily.Quadratic -> 2.0 * t - t * t

    /// Lipschitz constant of f_α (used by round-off bounds of the rank condition).
    let lipschitz (family: FAlphaFamily) (alpha: float) =
        match family with
        | FAlphaFamily.Piecewise -> 1.0 / alpha
        | FAlphaFamily.Quadratic -> 2.0 / alpha

    /// The rule a threshold α breaks, or None: finite, > 0, and 2/α (the larger Lipschitz constant of the
    /// families) finite, so that round-off bounds built on Lip(f_α) stay finite (issue #6 review: α = 1e-310).
    let alphaRule (alpha: float) : string option =
        if not (System.Double.IsFinite alpha) || alpha <= 0.0 then
            Some "must be a finite number > 0"
        elif not (System.Double.IsFinite(2.0 / alpha)) then
            Some "must be at least 1.2e-308 (the Lipschitz constant 2/alpha of f_alpha must be finite)"
        else
            None

    /// Every family, in a fixed order ("every claim is run per family").
    let all = [| FAlphaFamily.Piecewise; FAlphaFamily.Quadratic |]

    /// Lower-case name used in files and options.
    let name (family: FAlphaFamily) =
        match family with
        | FAlphaFamily.Piecewise -> "piecewise"
        | FAlphaFamily.Quadratic -> "quadratic"

    /// Parses `piecewise` or `quadratic`.
    let parse (field: string) (s: string) : Result<FAlphaFamily, InputError> =
        match s with
        | "piecewise" -> Ok FAlphaFamily.Piecewise
        | "quadratic" -> Ok FAlphaFamily.Quadratic
        | _ ->
            Error(InputError.create field (sprintf "unknown f_alpha family '%s' (expected piecewise or quadratic)" s))
