import MCP
import TokenVault
