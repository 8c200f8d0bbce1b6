namespace LowRankVerify.Theory

/// Where an offshoot ended: a run branched from a chain and continued with smaller η and λ until its
/// loss settles (THEORY.md §5, the slides' dark-blue points).
type OffshootRun =
    {
        /// θ at the end (the state after the last finite block when the offshoot diverged).
        Final: EngineState
        /// SGD steps the offshoot took.
        Steps: int64
        /// True when the convergence test passed before the step limit.
        Converged: bool
        /// True when a block produced a non-finite residual or weight.
        Diverged: bool
    }

/// Offshoots (THEORY.md §5): shared by E1 (`E1.offshoot`) and the completion experiment
/// (`Completion`), so both use the same convergence rule.
[<RequireQualifiedAccess>]
module Offshoot =

    /// Continues SGD from a copy of `s` (which is left unchanged) with `hyper`, drawing entries from
    /// `rng`, in blocks of ⌈100/η⌉ steps, until the loss L_λ changes by less than `tolerance` (relative)
    /// over two consecutive blocks, or `maxSteps` are spent. When a block diverges the offshoot stops and
    /// reports the state after the last finite block (`Diverged` = true), so no result ever holds NaN.
    let run (task: Task) (hyper: Hyper) (tolerance: float) (maxSteps: int64) (s: EngineState) (rng: Rng) : OffshootRun =
        let lossOf (st: EngineState) =
            Loss.loss task hyper.Lambda (Engine.toNetwork st)

        let st = Engine.copy s
        let mutable good = Engine.capture st
        let mutable r = rng
        let block = int64 (ceil (100.0 / hyper.Eta))
        let mutable steps = 0L
        let mutable prev = lossOf st
        let mutable calm = 0
        let mutable ok = true

        while ok && calm < 2 && steps < maxSteps do
            let n = min block (maxSteps - steps)
            ok <- Engine.run st hyper &r n

            if ok then
                steps <- steps + n
                let cur = lossOf st

                if System.Double.IsFinite cur then
                    good <- Engine.capture st

                    if abs (cur - prev) <= tolerance * max (abs prev) 1e-12 then
                        calm <- calm + 1
                    else
                        calm <- 0

                    prev <- cur
                else
                    ok <- false

        let final =
            if ok then
                st
            else
                match Engine.restore task s.Widths good with
                | Ok g -> g
                | Error e -> invalidOp (string e)

        {
            Final = final
            Steps = steps
            Converged = ok && calm >= 2
            Diverged = not ok
        }
