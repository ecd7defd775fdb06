using MnistTools.Benchmarks;
using MnistTools.Numerics;

int quick = Array.IndexOf(args, "--quick");
if (quick >= 0)
{
    string? Arg(int i) => args.Length > quick + i && !args[quick + i].StartsWith("--") ? args[quick + i] : null;
    QuickGemm.Run(Arg(1), Arg(2) is { } p ? Enum.Parse<GemmPath>(p, true) : null, Arg(3) is { } t ? int.Parse(t) : null);
    return 0;
}
return 0;
