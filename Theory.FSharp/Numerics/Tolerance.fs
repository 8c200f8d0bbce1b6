namespace LowRankVerify.Theory

/// Named floating-point constants. Every tolerance in the project is built here as
/// (scale) × (machine epsilon) × (a stated factor); nothing else hides a literal tolerance.
[<RequireQualifiedAccess>]
module Tolerance =

    /// Unit round-off of IEEE-754 double precision, 2^-53 (half of the
    /// "machine epsilon" 2^-52). All round-off bounds are multiples of it.
    [<Literal>]
    let unitRoundoff = 1.1102230246251565e-16

    /// Machine epsilon 2^-52, the gap between 1.0 and the next double.
    [<Literal>]
    let machineEpsilon = 2.220446049250313e-16

    /// Safety factor applied on top of a first-order round-off estimate (γ_n = n·u): first-order
    /// bounds ignore O(u²) terms and the constants of blocked summation, so we allow 16×.
    [<Literal>]
    let safetyFactor = 16.0

    /// Forward error bound γ_n = n·u / (1 − n·u) of a length-n dot product (Higham, Thm 3.1), times
    /// `safetyFactor`. `n` is the length of the longest accumulation.
    let gamma (n: int) =
        let nu = float (max n 1) * unitRoundoff
        safetyFactor * nu / (1.0 - nu)

    /// Relative gradient residual the critical-point solver aims at (issue 2: "about 1e-12 relative").
    /// It is ~5000 u: Newton with a finite-difference Hessian stalls a few thousand u above round-off.
    [<Literal>]
    let criticalPointTarget = 1e-12

    /// Bisection on a root of D7 stops when the bracket is this many ulps of its larger end.
    [<Literal>]
    let rootBracketUlps = 4.0
