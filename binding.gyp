{
  "targets": [
    {
      "target_name": "tsrunc_addon",
      "sources": ["cpp/addon/addon.cc", "cpp/addon/bpf.cc", "cpp/addon/fdpass.cc", "cpp/addon/files.cc", "cpp/addon/ptywrite.cc", "cpp/addon/sealed-launcher.cc", "cpp/common/fdpass.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      # Only the N-API entry points are exported: the copy of libstdc++ linked in stays private (it
      # neither interposes on nor is bound to the host's), and dlopen resolves 175 symbol relocations, not 658.
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden", "-fvisibility-inlines-hidden"],
      "ldflags": ["-static-libstdc++", "-static-libgcc", "-Wl,--exclude-libs,ALL"]
    },
    {
      "target_name": "tsrunc-launcher",
      "type": "executable",
      "sources": [
        "cpp/common/fdpass.cc",
        "cpp/common/generated/contract.cc",
        "cpp/common/json.cc",
        "cpp/launcher/cgroups.cc",
        "cpp/launcher/channel.cc",
        "cpp/launcher/devices.cc",
        "cpp/launcher/hooks.cc",
        "cpp/launcher/idmap-mount.cc",
        "cpp/launcher/joined-userns.cc",
        "cpp/launcher/log.cc",
        "cpp/launcher/lsm.cc",
        "cpp/launcher/main.cc",
        "cpp/launcher/masks.cc",
        "cpp/launcher/mempolicy.cc",
        "cpp/launcher/namespaces.cc",
        "cpp/launcher/netdevices.cc",
        "cpp/launcher/plan.cc",
        "cpp/launcher/process.cc",
        "cpp/launcher/procfs.cc",
        "cpp/launcher/procmount.cc",
        "cpp/launcher/pty.cc",
        "cpp/launcher/rtnetlink.cc",
        "cpp/launcher/rootfs.cc",
        "cpp/launcher/rootless.cc",
        "cpp/launcher/seccomp.cc",
        "cpp/launcher/signals.cc",
        "cpp/launcher/scheduling.cc",
        "cpp/launcher/sys.cc"
      ],
      "cflags_cc": ["-std=c++17", "-Os", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror=switch", "-ffunction-sections", "-fdata-sections"],
      "ldflags": ["-static", "-Wl,--gc-sections", "-s"],
      "libraries": ["-l:libseccomp.a"]
    }
  ]
}
