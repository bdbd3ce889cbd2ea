using System.Reflection;

namespace SnnDsl.CSharp.Tests;

/// <summary>
/// TrainingOptions over the library's one settings table: each typed property is a row of the table (its
/// name, or the row named in its docs), and <see cref="TrainingOptions.Set"/> reaches every row by name.
/// </summary>
public class TrainingOptionsTests
{
    // The typed properties whose row has another name, and the one that is not a row.
    private static readonly Dictionary<string, string> Renamed = new() { ["OutputDirectory"] = "OutDir" };

    [Fact]
    public void Every_typed_option_is_a_setting_of_the_table_by_its_name()
    {
        var rows = SnnDsl.Training.TrainSettings.names.ToHashSet();
        var typed = typeof(TrainingOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.Name != nameof(TrainingOptions.Distributed))
            .Select(p => Renamed.TryGetValue(p.Name, out var row) ? row : p.Name).ToList();
        Assert.NotEmpty(typed);
        Assert.All(typed, name => Assert.Contains(name, rows));
        Assert.All(typed, name => Assert.Contains(name, TrainingOptions.SettingNames));
    }

    [Fact]
    public void Set_reaches_every_setting_and_Get_reads_back_what_snn_train_would_write()
    {
        var options = new TrainingOptions();
        foreach (var name in TrainingOptions.SettingNames)
            Assert.Equal(options.Get(name), options.Clone().Set(name, options.Get(name)).Get(name));
        options.Set("SplitBy", "time").Set("Epochs", "7").Set("Schedule", "step:2:0.5").Set("Augment", "true");
        Assert.Equal(("time", 7, "step:2:0.5", true), (options.Get("SplitBy"), options.Epochs, options.Get("Schedule"), options.Augment));
        Assert.Equal(LearningRateSchedule.Step, options.Schedule);
    }

    [Fact]
    public void A_bad_name_or_text_is_an_ArgumentException_naming_it()
    {
        var options = new TrainingOptions();
        var name = Assert.Throws<ArgumentException>(() => options.Set("Epoch", "3"));
        Assert.Contains("no setting of TrainingOptions is called 'Epoch'", name.Message);
        Assert.Contains("Epochs", name.Message);
        var value = Assert.Throws<ArgumentException>(() => options.Set("Epochs", "many"));
        Assert.Contains("Epochs: expected a whole number, got 'many'", value.Message);
        // The data, model, neuron and device come from the Trainer's arguments, the world from Distributed.
        Assert.Throws<ArgumentException>(() => options.Set("Dataset", "mnist"));
        Assert.Throws<ArgumentException>(() => options.Set("Rank", "1"));
        // A setting that reads but is out of range is refused by Validate with the library's message.
        options.Set("SplitBy", "duration:-5");
        var split = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.Equal("SplitBy", split.ParamName);
        Assert.Contains("the duration must be a positive number of microseconds", split.Message);
    }

    [Fact]
    public void A_value_that_does_not_read_is_refused_naming_its_setting_not_with_a_null_reference()
    {
        var encoding = Assert.Throws<ArgumentException>(() => new TrainingOptions().Set("Encoding", "poisson").Validate());
        Assert.Equal("Encoding", encoding.ParamName);
        Assert.Contains("unknown encoding 'poisson'", encoding.Message);
        var master = Assert.Throws<ArgumentException>(() => new TrainingOptions { Distributed = new DistributedOptions(0, 2, "localhost") }.Validate());
        Assert.Equal("Master", master.ParamName);
        Assert.Throws<InvalidOperationException>(() => new TrainingOptions().Set("Loss", "hinge").Loss);
        Assert.Equal(LossFunction.Tet, new TrainingOptions().Set("Loss", "TET").Loss);
    }
}
