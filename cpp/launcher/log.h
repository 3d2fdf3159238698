// Debug lines from any stage travel to the CLI on the stage's channel, tagged as log messages.
#pragma once
#include <string>

class Channel;

void setLogChannel(const Channel* channel, bool debug);
void debugLog(const std::string& msg);
// Always sent (while a channel is set): what tsrunc logs at info level, e.g. a hook's stderr.
void infoLog(const std::string& msg);
