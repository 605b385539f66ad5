"""Deploy the built site to an FTP or FTPS server; see ftp_deploy.py for the Nikola command."""
