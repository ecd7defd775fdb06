using MnistTools;
using MnistTools.Csv;
using MnistTools.Data;
using MnistTools.Errors;
using MnistTools.Onnx;
using MnistTools.Persistence;
using SharpFuzz;

namespace MnistTools.Fuzz;

/// <summary>
/// AFL++ targets (SharpFuzz). argv[0] picks the reader: "idx-images", "idx-labels" (the input replaces that file; the
/// other one is a valid 4-image companion), "csv" (the input is a CSV file of images), "network" or "onnx" (an ONNX model for Import-Network). Any exception other than MnistToolsException escapes and is
/// reported by AFL as a crash; a hang is reported by afl-fuzz's -t timeout.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        string target = args.Length > 0 ? args[0] : "network";
        string folder = Directory.CreateTempSubdirectory("mnisttools-afl-").FullName;
        string images = Path.Combine(folder, "images"), labels = Path.Combine(folder, "labels");
        File.WriteAllBytes(images, Seeds.Images());
        File.WriteAllBytes(labels, Seeds.Labels());
        if (args.Length > 2 && args[1] == "--write-seeds")
        {
            Seeds.Write(args[2]);
            return;
        }
        Fuzzer.OutOfProcess.Run(stream =>
        {
            try
            {
                if (target == "csv")
                {
                    using var memory = new MemoryStream();
                    stream.CopyTo(memory);
                    memory.Position = 0;
                    CsvSetReader.Read(memory, "afl.csv", "afl", new CsvReadOptions());
                }
                else if (target == "network")
                {
                    using var memory = new MemoryStream();
                    stream.CopyTo(memory);
                    memory.Position = 0;
                    NetworkPersistence.FromSnapshot(NetworkFileReader.Read(memory, "afl.safetensors"), "afl.safetensors");
                }
                else if (target == "onnx")
                {
                    using var memory = new MemoryStream();
                    stream.CopyTo(memory);
                    OnnxImporter.FromBytes(memory.ToArray(), "afl.onnx");
                }
                else
                {
                    string victim = target == "idx-images" ? images : labels;
                    using (var file = File.Create(victim)) stream.CopyTo(file);
                    IdxReader.ReadDataSet(images, labels, "afl");
                    File.WriteAllBytes(victim, target == "idx-images" ? Seeds.Images() : Seeds.Labels());
                }
            }
            catch (MnistToolsException)
            {
                // the documented failure: fine
            }
        });
    }
}
