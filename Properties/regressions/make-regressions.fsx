// Regenerates the regression set from the negative controls (run from the repository root after
// `dotnet build Theory.FSharp`):  dotnet fsi Properties/regressions/make-regressions.fsx
// Each control's first confirmed counterexample (same search as C1.controls and the C6 regression case, CI seed) is
// written with every number needed to replay it, so the replay does not depend on the generators.
#r "nuget: MathNet.Numerics, 5.0.0"
#r "../../Theory.FSharp/bin/Debug/net10.0/Theory.FSharp.dll"

open System.IO
open System.Text.Json
open LowRankVerify.Theory

let seed = 20240516UL // Harness.ciSeed
let dir = __SOURCE_DIRECTORY__

let rows (m: MathNet.Numerics.LinearAlgebra.Matrix<float>) = m.ToRowArrays()

let write
    (name: string)
    (claim: string)
    (rule: string)
    (index: int)
    (expected: string)
    (description: string)
    (c: ClosureCase)
    (xi: float[] option)
    =
    let o =
        dict
            [
                "name", box name
                "claim", box claim
                "rule", box rule
                "seed", box seed
                "index", box index
                "expected", box expected
                "description", box description
                "eta", box c.Hyper.Eta
                "lambda", box c.Hyper.Lambda
                "region",
                box (
                    dict
                        [
                            "r", box c.Region.R
                            "eps1", box c.Region.Eps1
                            "eps2", box c.Region.Eps2
                            "alpha", box c.Region.Alpha
                            "C", box c.Region.C
                            "family", box (FAlpha.name c.Region.Family)
                        ]
                )
                "target", box (rows c.Task.Target)
                "observed", box (c.Task.Observed |> Array.map (fun (i, j) -> [| i; j |]))
                "layers", box (c.Point.W |> Array.map rows)
                "xi", box (defaultArg xi [||])
            ]

    let path = Path.Combine(dir, name + ".json")
    File.WriteAllText(path, JsonSerializer.Serialize(o, JsonSerializerOptions(WriteIndented = true)))
    printfn "wrote %s: %s" path description

let describe = C1.describe

let firstFailure (rule: StepRule) (make: int -> ClosureCase) =
    Seq.initInfinite id
    |> Seq.take 5000
    |> Seq.pick (fun i ->
        let c = make i
        let r = C1.closureWith rule c

        if r.Contained && r.Verdict = Verdict.Counterexample then
            Some(i, c, r)
        else
            None)

let baseCase i =
    fst (ClaimCases.randomClosureCase (seed ^^^ 0x5EEDUL) i)

let emit name claim ruleName rule make =
    let i, c, r = firstFailure rule make
    write name claim ruleName i "Counterexample" (describe c r) c None

emit "C1-control-lambda-zero" "C1" "sgd" Sgd.step (fun i ->
    let c = baseCase i in

    { c with
        Hyper = { c.Hyper with Lambda = 0.0 }
    })

// eta at R0's cap (2 eta lambda = 1/10): the control breaks R1, R2, R4, not the sign of the decay (issue #11)
emit "C1-control-large-eta" "C1" "sgd" Sgd.step (fun i -> C1.largeEtaCase (baseCase i))

emit "C1-control-depth-two" "C1" "sgd" Sgd.step (ClaimCases.depthTwoCase (seed ^^^ 0x12UL))
emit "C1-control-broken-step" "C1" "broken-decay" C1.brokenStep baseCase

// The SDE control: the first C1 case (in the regime, every SGD step stays) whose SDE draw leaves B_r.
let sdeIndex, sdeCase, sdeXi, sdeRadius, sdeOutward =
    Seq.initInfinite id
    |> Seq.pick (fun i ->
        let c = baseCase i

        if
            c.Task.N >= 2
            && Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho
            && (C1.closure c).Verdict = Verdict.Holds
        then
            C6.sdeRadii
            |> Array.tryPick (fun radius ->
                [ false; true ]
                |> List.tryPick (fun outward ->
                    let left, _ = C6.sdeLeavesAt c outward radius (Rng.stream seed (uint64 (70000 + i)))

                    if left then Some(radius, outward) else None))
            |> Option.map (fun (radius, outward) ->
                // the draw sdeLeavesAt used
                let xi = C6.sdeDraw c outward radius (Rng.stream seed (uint64 (70000 + i)))
                i, c, xi, radius, outward)
        else
            None)

write
    "C6-control-sde-leaves"
    "C6"
    "sde"
    sdeIndex
    "Counterexample"
    (sprintf
        "task %dx%d N=%d, L=%d, r=%d, eta=%.3g, lambda=%.3g: every SGD step stays in B_r, the SDE draw |xi| = %g (%s direction, log-density %.4g) leaves"
        sdeCase.Task.DOut
        sdeCase.Task.DIn
        sdeCase.Task.N
        sdeCase.Depth
        sdeCase.Region.R
        sdeCase.Hyper.Eta
        sdeCase.Hyper.Lambda
        sdeRadius
        (if sdeOutward then "outward" else "random")
        (Sde.logDensity sdeXi))
    sdeCase
    (Some sdeXi)

// Two cases where C1 must keep holding: the first in-regime points within 1e-9 (relative) of the rank and
// of the norm boundary.
for cond, name in
    [
        RegionCondition.Rank, "C1-holds-rank-edge"
        RegionCondition.Bounded, "C1-holds-norm-edge"
    ] do
    let i, c, r =
        Seq.initInfinite id
        |> Seq.pick (fun i ->
            let c = fst (ClaimCases.randomClosureCase seed i)

            if
                Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho
                && Region.contains c.Region c.Point
            then
                let s = Region.slack c.Region c.Point
                let rel = Generators.relativeSlack c.Region s

                let v =
                    if cond = RegionCondition.Rank then
                        rel.Rank
                    else
                        rel.Bounded

                if Region.tightest s = cond && v < 1e-9 then
                    Some(i, c, C1.closure c)
                else
                    None
            else
                None)

    write
        name
        "C1"
        "sgd"
        i
        "Holds"
        (sprintf
            "in the derived regime, %A slack %.3g before the step; %s"
            cond
            (if cond = RegionCondition.Rank then
                 r.Before.Rank
             else
                 r.Before.Bounded)
            (describe c r))
        c
        None
