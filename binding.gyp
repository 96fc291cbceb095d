{
  "targets": [
    {
      "target_name": "hotinit",
      "sources": [
        "native/addon.c",
        "native/reader.c",
        "native/signals.c",
        "native/spawn.c",
        "native/process.c",
        "native/sockets.c"
      ],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=8"]
    },
    {
      "target_name": "hotinit-launcher",
      "type": "executable",
      "product_name": "hotinit",
      "sources": ["native/launcher.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-format-truncation", "-O2"],
      "ldflags": ["-static-libgcc"]
    }
  ]
}
