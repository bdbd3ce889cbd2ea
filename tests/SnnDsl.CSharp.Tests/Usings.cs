global using SnnDsl.CSharp;
global using Xunit;
