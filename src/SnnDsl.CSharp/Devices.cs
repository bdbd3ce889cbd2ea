using System;
using SnnDsl.Torch;

namespace SnnDsl.CSharp;

/// <summary>Parsing device names ("cpu", "cuda", "cuda:N") with errors that name the argument.</summary>
internal static class Devices
{
    public static Device Parse(string? text, string argument)
    {
        Guard.NotNull(text, argument);
        Device device;
        try
        {
            device = Device.Parse(text!);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(e.Message.Split(" (Parameter")[0], argument);
        }
        if (!device.IsCpu && !Torch.Torch.cudaAvailable())
            throw new ArgumentException($"device '{text}': CUDA is not available on this machine (this libtorch has no CUDA or no GPU is visible)", argument);
        return device;
    }
}
