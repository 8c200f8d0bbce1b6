namespace LowRankVerify.Theory

/// A single-entry step rule θ → θ⁺ at an entry (the paper's `Sgd.step`, or a broken one for a control).
type StepRule = Hyper -> Task -> Network -> int * int -> Network

/// Result of checking C1 on one case: the worst slack after the step over every observed entry.
type ClosureReport =
    { /// θ was in B_r as computed (cases outside are not checked).
      Contained: bool
      /// Slack of θ.
      Before: RegionSlack
      /// Smallest slack of each condition after one step, over every observed entry.
      After: RegionSlack
      /// Round-off bound of each condition at the worst θ⁺.
      Bound: RegionSlack
      /// The entry whose step gave the most negative slack (relative to its bound).
      WorstEntry: int * int
      /// max over conditions of −slack after (≤ 0 when the step stayed inside).
      Violation: float
      /// The round-off bound of the violated condition.
      ViolationBound: float
      /// The violated condition, if any.
      Condition: RegionCondition option
      /// Holds, Counterexample (violation > bound) or Inconclusive (violation within round-off).
      Verdict: Verdict }

/// Budgeted checks of the claims C1–C7 and of their negative controls, reusable by the runner
/// (`lowrank verify`) and by the property tests. Every case derives its own stream from the budget's seed.
[<RequireQualifiedAccess>]
module ClaimChecks =

    /// Tolerance on the smallest Hessian eigenvalue of a local minimum (C7): the central-difference
    /// Hessian has entry errors ≈ 1e-10 relative (h = 1e-5: truncation h² and round-off u/h), and Weyl's
    /// inequality turns an n×n entrywise error e into an eigenvalue error ≤ n·e; we allow n·1e-9·max(1, max|H|).
    let hessianTolerance (h: MathNet.Numerics.LinearAlgebra.Matrix<float>) =
        float h.RowCount * 1e-9 * max 1.0 (Linalg.maxAbs h)

    // ------------------------------------------------------------------ C1

    /// C1 on one case: steps with `rule` at EVERY observed entry and takes the worst slack after the step.
    /// A negative slack is a counterexample only when it exceeds `Region.roundOffBound` at θ⁺.
    let closureWith (rule: StepRule) (c: ClosureCase) : ClosureReport =
        let p = c.Region
        let before = Region.slack p c.Point
        let zero = { Balancedness = 0.0; Rank = 0.0; Bounded = 0.0 }
        if before.Min < 0.0 then
            { Contained = false; Before = before; After = before; Bound = zero; WorstEntry = (0, 0)
              Violation = 0.0; ViolationBound = 0.0; Condition = None; Verdict = Verdict.Inconclusive }
        else
            let mutable after = { Balancedness = infinity; Rank = infinity; Bounded = infinity }
            let mutable bound = zero
            let mutable worst = (0, 0)
            let mutable worstScore = -infinity
            let mutable violation = -infinity
            let mutable vBound = 0.0
            let mutable cond = None
            for e in c.Task.Observed do
                let next = rule c.Hyper c.Task c.Point e
                let s = Region.slack p next
                let b = Region.roundOffBound p next
                after <- { Balancedness = min after.Balancedness s.Balancedness; Rank = min after.Rank s.Rank; Bounded = min after.Bounded s.Bounded }
                for (k, v, bb) in [ RegionCondition.Balancedness, -s.Balancedness, b.Balancedness
                                    RegionCondition.Rank, -s.Rank, b.Rank
                                    RegionCondition.Bounded, -s.Bounded, b.Bounded ] do
                    let score = v - bb
                    if score > worstScore then
                        worstScore <- score
                        worst <- e
                        bound <- b
                        violation <- v
                        vBound <- bb
                        cond <- if v > 0.0 then Some k else None
            let verdict =
                if violation > vBound then Verdict.Counterexample
                elif violation > 0.0 then Verdict.Inconclusive
                else Verdict.Holds
            { Contained = true; Before = before; After = after; Bound = bound; WorstEntry = worst
              Violation = violation; ViolationBound = vBound; Condition = cond; Verdict = verdict }

    /// C1 with the paper's step `Sgd.step`.
    let closure (c: ClosureCase) = closureWith Sgd.step c

    /// The broken step of a negative control: decay 1 + 2ηλ (sign error) instead of 1 − 2ηλ.
    let brokenStep : StepRule =
        fun hyper task net e -> Sgd.stepWithDecay (1.0 + 2.0 * hyper.Eta * hyper.Lambda) hyper.Eta task net e

    /// A random C1 case for stream `index` of `seed`: task up to 6×6 (scale in [0.1, 1]), depth 3..5, widths
    /// ≤ 6, λ log-uniform in [0.1, 1], f_α family at random, η a fraction of `Regime.etaMax` (half the cases
    /// within 10^{−k} of it).
    let randomClosureCase (seed: uint64) (index: int) : ClosureCase * TaskSpec * PointSpec =
        let mutable rng = Rng.stream seed (uint64 index)
        let ts = Generators.taskSpec &rng 6 0.1 1.0
        let tk = Generators.task ts
        let ps = Generators.pointSpec &rng tk.DOut tk.DIn 3 5 6
        let lambda = exp (log 0.1 + (log 1.0 - log 0.1) * Rng.nextFloat &rng)
        let family = FAlpha.all.[Rng.nextInt &rng 2]
        let frac =
            if Rng.nextInt &rng 2 = 0 then 1.0 - 10.0 ** (-(float (1 + Rng.nextInt &rng 8)))
            else 0.05 + 0.95 * Rng.nextFloat &rng
        Generators.closureCase { Regime.defaults with Family = family } ts ps lambda frac, ts, ps

    let private describe (c: ClosureCase) (r: ClosureReport) =
        sprintf "task %dx%d N=%d, L=%d, widths %A, r=%d, eta=%.3g, lambda=%.3g, eps1=%.3g, eps2=%.3g, alpha=%.3g, C=%.3g, %s; entry %A; %s violated by %.3g (bound %.3g)"
            c.Task.DOut c.Task.DIn c.Task.N c.Depth (Network.widths c.Point) c.Region.R c.Hyper.Eta c.Hyper.Lambda
            c.Region.Eps1 c.Region.Eps2 c.Region.Alpha c.Region.C (FAlpha.name c.Region.Family) r.WorstEntry
            (match r.Condition with Some k -> sprintf "%A" k | None -> "nothing") r.Violation r.ViolationBound

    let private counterexampleOf claim (desc: string) (r: ClosureReport) replay =
        { Claim = claim; Description = desc; Violation = r.Violation; Bound = r.ViolationBound
          Status = (if r.Violation > r.ViolationBound then Verdict.Counterexample else Verdict.Inconclusive)
          Replay = replay }

    /// Counts, per tightest condition, how close the checked points came to the boundary (C1 coverage).
    let coverage (cases: (RegionParams * RegionSlack) seq) : Map<string, int> =
        cases
        |> Seq.map (fun (p, s) ->
            let rel = Generators.relativeSlack p s
            let k = Region.tightest s
            let v = match k with RegionCondition.Balancedness -> rel.Balancedness | RegionCondition.Rank -> rel.Rank | RegionCondition.Bounded -> rel.Bounded
            sprintf "%A %s" k (Generators.closenessBucket v))
        |> Seq.countBy id
        |> Map.ofSeq

    let private coverageText (m: Map<string, int>) =
        m |> Map.toList |> List.map (fun (k, n) -> sprintf "%s: %d" k n) |> String.concat "; "

    let private combine (verdicts: Verdict seq) =
        let vs = List.ofSeq verdicts
        if vs |> List.contains Verdict.Counterexample then Verdict.Counterexample
        elif vs |> List.contains Verdict.Inconclusive then Verdict.Inconclusive
        else Verdict.Holds

    let private timed (f: unit -> 'a) =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let x = f ()
        x, sw.Elapsed.TotalSeconds

    /// C1 on `budget.Cases` random cases inside the derived regime.
    let checkC1 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let run () =
            let results =
                [ for i in 0 .. budget.Cases - 1 do
                      let c, _, _ = randomClosureCase budget.Seed i
                      if Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho then
                          let r = closure c
                          if r.Contained then yield c, r ]
            let cov = coverage (results |> List.map (fun (c, r) -> c.Region, r.Before))
            let bad =
                results
                |> List.filter (fun (_, r) -> r.Verdict <> Verdict.Holds)
                |> List.mapi (fun k (c, r) -> counterexampleOf "C1" (describe c r) r (sprintf "lowrank verify --seed %d" budget.Seed))
            let verdict = combine (results |> List.map (fun (_, r) -> r.Verdict))
            progress (sprintf "C1: %d cases, %s" results.Length (coverageText cov))
            results.Length, cov, verdict, bad
        let (n, cov, verdict, bad), secs = timed run
        { Claim = "C1"
          Name = "Closure"
          Statement = "theta in B_r => theta+ in B_r for every observed entry, inside the derived regime R0-R4 (Regime.fs)"
          Verdict = verdict
          CasesTried = n
          BoundaryCoverage = coverageText cov
          Seconds = secs
          Counterexamples = bad }

    /// Claim checks C1..C7 on a budget, one outcome per claim in order; `progress` gets short lines.
    let runClaims (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome[] =
        let pending id name =
            { Claim = id; Name = name; Statement = "not yet checked in this build"; Verdict = Verdict.Inconclusive
              CasesTried = 0; BoundaryCoverage = ""; Seconds = 0.0; Counterexamples = [] }
        [| checkC1 budget progress
           pending "C2" "Critical points"
           pending "C3" "Reachability"
           pending "C4" "Absorption"
           pending "C5" "One-way jumps"
           pending "C6" "No continuous analogue"
           pending "C7" "Multiple minima" |]

    /// Runs a C1 control: cases from `make` (seed, index) checked with `rule` until the first confirmed
    /// counterexample or the budget is spent.
    let private closureControl (name: string) (rule: StepRule) (make: int -> ClosureCase) (budget: CheckBudget) (progress: string -> unit) : ControlOutcome =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let mutable found = None
        let mutable tried = 0
        while found.IsNone && tried < budget.Cases do
            let c = make tried
            let r = closureWith rule c
            if r.Contained && r.Verdict = Verdict.Counterexample then found <- Some(describe c r)
            tried <- tried + 1
        progress (sprintf "control %s: %s after %d cases" name (if found.IsSome then "failed as expected" else "did NOT fail") tried)
        { Control = name; Claim = "C1"; FailedAsExpected = found.IsSome; CasesTried = tried
          Seconds = sw.Elapsed.TotalSeconds; Example = defaultArg found "" }

    /// Negative controls, one outcome each (each must fail).
    let runControls (budget: CheckBudget) (progress: string -> unit) : ControlOutcome[] =
        let baseCase i = let c, _, _ = randomClosureCase (budget.Seed ^^^ 0x5EEDUL) i in c
        [| closureControl "C1 with lambda = 0" Sgd.step (fun i -> let c = baseCase i in { c with Hyper = { c.Hyper with Lambda = 0.0 } }) budget progress
           closureControl "C1 with eta 1e4 x etaMax" Sgd.step (fun i -> let c = baseCase i in { c with Hyper = { c.Hyper with Eta = min (0.5 / c.Hyper.Lambda) (1e4 * c.Hyper.Eta) } }) budget progress
           closureControl "C1 with a broken SGD step (decay 1 + 2 eta lambda)" brokenStep baseCase budget progress |]
