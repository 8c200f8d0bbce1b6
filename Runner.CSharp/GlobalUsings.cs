// The namespaces nearly every file of the runner uses, imported once here instead of at the top of each
// file (a namespace used by a few files only, e.g. ScottPlot or Spectre.Console, stays in those files).
global using System.CommandLine;
global using System.Diagnostics;
global using System.Globalization;
global using System.Text;
global using System.Text.Json;
global using LowRankVerify.Runner.Checkpoints;
global using LowRankVerify.Runner.Json;
global using LowRankVerify.Runner.Reports;
global using LowRankVerify.Runner.Sweeps;
global using LowRankVerify.Theory;
global using Microsoft.FSharp.Core;
