using System.Runtime.InteropServices;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>Turns SIGINT (Ctrl-C) and SIGTERM into a <see cref="CancellationToken"/> for the long loops:
/// the first signal cancels the token (the run then stops at the next segment boundary, writes its
/// checkpoint and a partial report, and exits with <see cref="ExitCode"/>); a second signal of the same
/// kind is left to the runtime's default handler, which ends the process at once.</summary>
public sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource cts = new();
    private readonly List<PosixSignalRegistration> registrations = [];
    private int received;

    /// <summary>Exit code after SIGINT: 128 + 2, the shell convention.</summary>
    public const int SigIntExit = 130;

    /// <summary>Exit code after SIGTERM: 128 + 15.</summary>
    public const int SigTermExit = 143;

    /// <summary>Registers the handlers (on platforms without POSIX signals only Ctrl-C is caught).</summary>
    public StopSignal()
    {
        foreach (var (signal, code) in new[] { (PosixSignal.SIGINT, SigIntExit), (PosixSignal.SIGTERM, SigTermExit) })
        {
            try
            {
                registrations.Add(PosixSignalRegistration.Create(signal, ctx =>
                {
                    if (Interlocked.CompareExchange(ref received, code, 0) == 0)
                    {
                        ctx.Cancel = true;
                        cts.Cancel();
                    }
                }));
            }
            catch (PlatformNotSupportedException) { }
        }
    }

    /// <summary>Cancelled when the first SIGINT or SIGTERM arrives.</summary>
    public CancellationToken Token => cts.Token;

    /// <summary>True once a signal arrived.</summary>
    public bool Stopped => Volatile.Read(ref received) != 0;

    /// <summary>The process exit code for the signal received (130 or 143); 0 when none arrived.</summary>
    public int ExitCode => Volatile.Read(ref received);

    /// <summary>"SIGINT" or "SIGTERM" (or "none").</summary>
    public string Name => ExitCode switch { SigIntExit => "SIGINT", SigTermExit => "SIGTERM", _ => "none" };

    /// <summary>Unregisters the handlers.</summary>
    public void Dispose()
    {
        foreach (var r in registrations) r.Dispose();
        cts.Dispose();
    }
}
